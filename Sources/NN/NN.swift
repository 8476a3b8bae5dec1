/// NN: modules with named parameters, layers, losses, optimizers, schedulers and safetensors checkpoints.
