// Package netns tests the cluster on real network namespaces: three agent
// processes, each in a namespace of its own joined by veth pairs to a
// bridge, with a partition made by taking a node's bridge port down. It
// holds tests only; without root or where "ip netns add" is refused they
// skip, naming what is missing.
package netns
