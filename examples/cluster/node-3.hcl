# Node 3 of a three-node cluster on one machine (127.0.0.1, its own ports).
# Check it with "marketsync validate examples/cluster/node-3.hcl"; start the
# three with "make run-cluster", or each in a terminal of its own:
#
#   ./bin/marketsync agent -config examples/cluster/node-3.hcl
#
# then, against any of them (a node that is not the raft leader forwards
# lock requests to it):
#
#   MARKETSYNC_ADDR=127.0.0.1:8789 marketsync members
#   MARKETSYNC_ADDR=127.0.0.1:8789 marketsync operator raft list-peers
#   MARKETSYNC_ADDR=127.0.0.1:8789 marketsync lock acquire -holder erp-1 erp/orders
#
# The three servers bootstrap raft once they see each other through gossip
# (bootstrap_expect = 3). Each owns the sandbox accounts that rendezvous
# hashing prefers it for; "marketsync members" shows which.
data_dir = "/tmp/marketsync-cluster-3"

api {
  address = "127.0.0.1:8789"
}

cluster {
  name             = "demo"
  node_name        = "node-3"
  bind_addr        = "127.0.0.1:7976"
  raft_addr        = "127.0.0.1:7977"
  join             = ["127.0.0.1:7956"]
  server           = true
  bootstrap_expect = 3
  # A demo key, shared by the three files. Make your own with
  # "openssl rand -base64 32" and keep it out of the configuration
  # (encrypt = file("/etc/marketsync/gossip.key")).
  encrypt = "ZGVtby1vbmx5LWRlbW8tb25seS1kZW1vLW9ubHktISE="
}

platform "sandbox" "source-a" {}
platform "sandbox" "source-b" {}
platform "sandbox" "store-eu" {}
