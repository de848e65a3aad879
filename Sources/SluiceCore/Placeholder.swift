enum SluiceCoreNamespace {}
