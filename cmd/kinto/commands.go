package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// withBackends runs fn on the backends of the settings, as serve opens
// them, and closes them after; failing to open them is ExitFailure.
func withBackends(ctx context.Context, env *runner.Env[settings], name string, fn func(b *wire.Backends) int) int {
	b, err := wire.OpenBackends(ctx, &env.Settings.Core, domain.SystemClock{}, backendOptions)
	if err != nil {
		fmt.Fprintf(env.Stderr, "kinto: %s: %v\n", name, err)
		return runner.ExitFailure
	}
	log := logrus.New()
	log.SetOutput(env.Stderr)
	defer b.Close(log)
	return fn(b)
}

// flushCacheCommand is `kinto flush-cache`: it empties the cache backend
// (the keys under cache_prefix), as Kinto's command does.
func flushCacheCommand(ctx context.Context, env *runner.Env[settings]) int {
	fs := flag.NewFlagSet("kinto flush-cache", flag.ContinueOnError)
	if !env.ParseFlags(fs) {
		return runner.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "kinto: flush-cache: unexpected argument %q\n", fs.Arg(0))
		return runner.ExitUsage
	}
	return withBackends(ctx, env, "flush-cache", func(b *wire.Backends) int {
		if err := b.Cache.Flush(ctx); err != nil {
			fmt.Fprintf(env.Stderr, "kinto: flush-cache: %v\n", err)
			return runner.ExitFailure
		}
		fmt.Fprintln(env.Stdout, "Cache has been cleared.")
		return runner.ExitOK
	})
}

// purgeDeletedCommand is `kinto purge-deleted RESOURCE... MAX_RETAINED`,
// as Kinto's: for each resource, in every list, it keeps the MAX_RETAINED
// newest tombstones and removes the others. With --before (epoch
// milliseconds) or --older-than (a duration), it removes the tombstones
// older than that instead, and takes no MAX_RETAINED.
func purgeDeletedCommand(ctx context.Context, env *runner.Env[settings]) int {
	fs := flag.NewFlagSet("kinto purge-deleted", flag.ContinueOnError)
	before := fs.Int64("before", 0, "remove the tombstones with a timestamp below this one (epoch milliseconds)")
	olderThan := fs.Duration("older-than", 0, "remove the tombstones older than this (e.g. 720h)")
	if !env.ParseFlags(fs) {
		return runner.ExitUsage
	}
	usage := func(msg string) int {
		fmt.Fprintf(env.Stderr, "kinto: purge-deleted: %s\nUsage: kinto purge-deleted RESOURCE... MAX_RETAINED\n       kinto purge-deleted (--before MS | --older-than DURATION) RESOURCE...\n", msg)
		return runner.ExitUsage
	}
	args := fs.Args()
	var opts ports.PurgeOptions
	switch {
	case *before != 0 && *olderThan != 0:
		return usage("--before and --older-than are exclusive")
	case *before < 0 || *olderThan < 0:
		return usage("--before and --older-than must be positive")
	case *before > 0:
		opts.Before = *before
	case *olderThan > 0:
		opts.Before = time.Now().Add(-*olderThan).UnixMilli()
	default:
		if len(args) < 2 {
			return usage("want at least one resource and MAX_RETAINED")
		}
		n, err := strconv.Atoi(args[len(args)-1])
		if err != nil || n < 0 {
			return usage(fmt.Sprintf("MAX_RETAINED %q is not a non-negative integer", args[len(args)-1]))
		}
		opts.MaxRetained = n
		args = args[:len(args)-1]
	}
	if len(args) == 0 {
		return usage("want at least one resource (record, collection, group, bucket)")
	}
	return withBackends(ctx, env, "purge-deleted", func(b *wire.Backends) int {
		total := 0
		for _, res := range args {
			n, err := b.Storage.PurgeDeleted(ctx, res, opts)
			if err != nil {
				fmt.Fprintf(env.Stderr, "kinto: purge-deleted %s: %v\n", res, err)
				return runner.ExitFailure
			}
			total += n
		}
		fmt.Fprintf(env.Stdout, "%d tombstone(s) deleted.\n", total)
		return runner.ExitOK
	})
}
