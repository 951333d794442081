// Package ports declares the interfaces between the application and the
// outside world. Each method comment is a specification: the contract suites
// in ports/portstest check every adapter against exactly that.
package ports
