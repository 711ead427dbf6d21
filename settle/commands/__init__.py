"""The `settle` command's sub-commands, one module per feature; settle/cli.py assembles them."""
