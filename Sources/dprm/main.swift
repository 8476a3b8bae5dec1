// The dprm command. Subcommands arrive with the language issue; until then it reports its version.
print("dprm 0.1.0")
