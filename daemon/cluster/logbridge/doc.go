// Package logbridge routes the line loggers of hashicorp/memberlist (a
// standard log.Logger) and hashicorp/raft (hclog) into the agent's slog
// logger, keeping each line's level.
package logbridge
