package ports

import "context"

// Authenticator is one authentication policy. It reads the value of the
// Authorization header, never the request itself.
type Authenticator interface {
	// Name is the policy's name, the prefix of its user ids ("basicauth",
	// "account") and its hello capability key.
	Name() string
	// Authenticate returns the user id without the policy prefix and true
	// when the policy accepts the header; "", false when it does not
	// recognise or does not accept it, so that the next policy is tried.
	// An error means the policy could not decide (backend down).
	Authenticate(ctx context.Context, authorization string) (userID string, ok bool, err error)
}
