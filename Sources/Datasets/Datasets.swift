/// Data: readers for the DreamPRM formats, PRMBench and BIG-Bench-Mistake, step splitting, chat templates, tokenizers and images.
