// Package robotsim holds what the chat robot simulators share: a sliding
// window rate limit with the ban that follows a burst, the messages they
// accepted, the answers they refused with, and faults to inject. The
// simulators themselves (dingtalk/sim, wecom/sim, feishu/sim) check each
// platform's own signing and answer with its own codes.
package robotsim
