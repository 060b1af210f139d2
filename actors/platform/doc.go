// Package platform is the platform actor: one protoactor actor per
// platform block, the only way to reach that platform. It owns the plugin
// process, the rate limiter, retries with backoff and the cap on calls in
// flight. Its messages (platform.proto) are protobuf so that another node
// can send them through protoactor's remote.
package platform
