// Package command is the marketsync command line: a map of command
// factories run by github.com/hashicorp/cli (commands.go), the flags and
// client every command shares (Meta, meta.go), and one file per command
// with its Help, Synopsis and Run.
//
// Commands that talk to the agent build their client from -address and
// -token, falling back to MARKETSYNC_ADDR and MARKETSYNC_TOKEN. Every such
// command takes -json to print the API's object instead of text, and so
// does version; agent and fmt print text only. collect -wait and job
// -wait follow a job to its end through blocking queries, waiting out an
// agent that restarts (for Meta.Reconnect), and exit with a code per way
// the job ended. Errors
// from the agent print as "Error: <message> (<code>)" on stderr with exit
// code 1; a usage error prints the command's help and exits 1.
package command
