/// Lang: the .dprm language (lexer, parser, resolver, interpreter, values, diagnostics, notebook cells). Knows nothing numeric.
