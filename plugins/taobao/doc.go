// Command marketsync-plugin-taobao is the first-party Taobao/Tmall
// collector plugin: it reads an authorising seller's listings through the
// Taobao Open Platform (TOP) and serves them to the agent over the plugin
// protocol. Package collector holds the plugin, package top the TOP
// protocol (signing, request layout, error codes) and package sim the
// simulated gateway its tests run against.
package main
