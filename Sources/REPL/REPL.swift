/// REPL: line reader (readline or plain stdin), history, completion, :commands and Ctrl-C handling.
