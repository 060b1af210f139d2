package webhook

// NS is the receiver's namespace, for tests that write stored entries
// as they may be found on disk.
var NS = ns

// ReadBatch is how many queued events one round takes.
const ReadBatch = readBatch
