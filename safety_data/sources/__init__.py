"""One module per source family: how its files are read and labelled."""
