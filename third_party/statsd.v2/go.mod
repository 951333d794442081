// Stand-in for gopkg.in/alexcesaro/statsd.v2; see alias.go for why.
module gopkg.in/alexcesaro/statsd.v2

go 1.21

require github.com/alexcesaro/statsd v2.0.0+incompatible
