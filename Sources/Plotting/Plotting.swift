/// Plot: a figure model and a gnuplot driver, with a built-in PNG writer when gnuplot is missing.
