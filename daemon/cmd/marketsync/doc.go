// Command marketsync is the agent and its command-line client. main only
// hands the arguments to the command package.
package main
