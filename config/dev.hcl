# The -dev agent: Default() plus these overrides, state kept in memory, logs
# at info (-log-level debug shows every request). Two sandbox platforms need
# no account: "sandbox" acts as a source marketplace, "sandbox-store" a store.
log_level = "info"

platform "sandbox" "sandbox" {}

platform "sandbox" "sandbox-store" {}

# What sandbox collects is kept listed on sandbox-store: marketsync sync run
# -wait sandbox-to-store.
sync "sandbox-to-store" {
  source = "sandbox"
  target = "sandbox-store"
}
