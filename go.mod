module github.com/cliquet-go/cliquet

go 1.25.0
