# The -dev agent: Default() plus these overrides, with state kept in memory.
# Two sandbox platforms need no account: "sandbox" acts as a source
# marketplace and "sandbox-store" as a store.
log_level = "debug"

platform "sandbox" "sandbox" {}

platform "sandbox" "sandbox-store" {}
