// Package domain holds the vocabulary of the Cliquet protocol: records and
// their parents, timestamps, queries, permissions and the one error type that
// crosses every layer. It is pure Go: no I/O, no adapters, no logging.
package domain
