enum SluiceRuntimeNamespace {}
