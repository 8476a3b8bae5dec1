/// Stdlib: the builtin tables that expose the numeric libraries to the language.
