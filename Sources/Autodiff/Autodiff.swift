/// Autodiff: reverse-mode automatic differentiation over `Tensor`. One gradient rule per primitive, beside its forward.
