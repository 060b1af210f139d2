// Package config reads the agent's HCL configuration: the schema, decoding,
// defaults, merging, validation and the functions env() and file().
//
// Loading is layered, as in Nomad's agent. A configuration starts as
// Default() (or Dev(), which is Default plus the overrides in dev.hcl and
// state in memory); each file named on the command line is then merged onto
// it in order, a directory standing for its *.hcl files sorted by name.
// Later files win setting by setting, the api block merges attribute by
// attribute, and platform blocks accumulate.
//
// Each file is decoded on its own into file structs (fileConfig and the
// structs it holds) whose attributes are *attr[T]: nil when the file leaves
// a setting out, else the value and where it was written. The pointer tells
// a file that sets a value equal to the zero value or the default apart
// from one that says nothing, so a later file can set a setting back to
// it over an earlier one. The file structs are then laid
// over the runtime Config by merge, one reflective function that pairs
// fields by Go name; there is no hand-written merge per field to forget a
// setting in, the bug Nomad's agent had more than once. Adding a setting
// means adding a field to a file struct and one of the same name to its
// runtime struct; tests fail if either side lacks its twin.
//
// The result is Config, a plain runtime value with every default applied.
// It keeps, unexported, the range each setting came from, so that Validate
// can point at the value it rejects. Load reports what is wrong within a
// file (syntax, unknown names with a suggestion for a near miss, wrong
// types, bad durations, env() and file() failures) and Validate what needs
// the whole configuration (allowed values, unique platform names across
// files, plugin binaries on the search path). Validate runs on whatever
// decoded, so that one run reports everything; a value that did not decode
// is marked where it was written and not reported again for the default it
// kept. Both return hcl.Diagnostics with file:line:column ranges, and
// Sources prints them with the lines they point at.
//
// plugin_dir is a search path: PluginPath takes the first
// marketsync-plugin-<name> in PluginDirs and then in the directory of the
// running executable, and InstalledPlugins lists what the path holds.
//
// Values are decoded from their expressions here rather than by gohcl, so
// that a type error or a duration such as "10 parsecs" is reported on the
// value itself, in the words hcldec uses. The same decoder serves the
// config {} block of each platform, which is kept raw at load time because
// its schema comes from the plugin when it starts: DecodePluginConfig checks
// the block against the plugin's sdk.ConfigSpec and turns it into the JSON
// the plugin receives.
//
// On SIGHUP the agent loads the files again the same way. Reloadable keeps
// the running values of the settings that need a restart (every agent
// setting but log_level, by default, so a new one is safe), and
// Platform.SameSettings with PluginConfig.Equal tells which platform blocks
// changed.
//
// Sensitivity belongs to a field, not to a value's origin: api.token is a
// Secret, and plugin fields are sensitive when their spec says so. Secret and
// PluginConfig print, log and marshal as "(sensitive)" however they are
// formatted; only Secret.Reveal and PluginConfig.JSON give the values.
package config
