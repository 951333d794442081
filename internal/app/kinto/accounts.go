package kinto

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// AccountPolicy is the name of the accounts authentication policy, the
// prefix of account user ids ("account:bob").
const AccountPolicy = "account"

// DefaultAccountBcryptCost is the bcrypt cost of new password hashes when
// the settings give none; Kinto's Python bcrypt uses 12.
const DefaultAccountBcryptCost = 12

// accountResource is the storage resource name of accounts.
const accountResource = "account"

// AccountParent returns the storage parent every account is stored under:
// resource "account" at the root (empty parent id), the parent the engine
// derives for a root resource. Kinto stores each account under a parent
// named after the account itself; one parent is enough here because
// visibility comes from the ACE store, and the authentication policy reads
// accounts from this same parent.
func AccountParent() domain.Parent {
	return domain.Parent{Resource: accountResource}
}

// maxPasswordBytes is the most bcrypt hashes; longer passwords are refused
// rather than silently truncated.
const maxPasswordBytes = 72

// AccountSettings configure the accounts plugin.
type AccountSettings struct {
	// Principals holds the *_principals settings; the plugin reads
	// account_create_principals (who may create accounts),
	// account_write_principals (administrators, who manage every account)
	// and account_read_principals (who may list every account).
	Principals map[string][]string
	// BcryptCost is the cost of new password hashes;
	// DefaultAccountBcryptCost when zero.
	BcryptCost int
	// OnChange, when set, is called with the account id after an account is
	// written or deleted, so that the authentication policy drops the
	// logins it remembers for it. Its error fails the write: a password
	// change that the cache did not hear of would leave the old password
	// working on every node for a while.
	OnChange func(ctx context.Context, id string) error
}

// Accounts is Kinto's accounts plugin: the /accounts resource, where users
// sign up with a password kept as a bcrypt hash, and change or delete their
// own account; administrators manage every account.
//
// It has its own engine because its rules differ from the shared
// resources': the write permission of an account always belongs to the
// account itself (never to its creator), and anonymous callers may create
// accounts (when account_create_principals allows) but never list them.
type Accounts struct {
	// Engine serves Resource; mount them together.
	Engine *app.Engine
	// Resource is the account resource: /accounts and /accounts/{id}.
	Resource *app.Resource

	perms    ports.Permission
	settings AccountSettings
	// operator writes accounts for the operator's commands (SetPassword):
	// the same resource and hooks, without the guard, since whoever can
	// run the command on the server's settings needs no grant.
	operator *app.Engine
}

// NewAccounts declares the account resource over the storage and
// permission backends.
func NewAccounts(store ports.Storage, perms ports.Permission, settings AccountSettings) *Accounts {
	if settings.BcryptCost == 0 {
		settings.BcryptCost = DefaultAccountBcryptCost
	}
	a := &Accounts{perms: perms, settings: settings}
	// The writer is not added to the ACL (explicit permissions off): the
	// AfterWrite hook gives write to the account itself.
	guard := app.NewGuard(accountLists{perms}, settings.Principals, false)
	a.Engine = app.NewEngine(store, guard)
	a.operator = app.NewEngine(store, nil)
	a.Resource = &app.Resource{
		Name: accountResource, Plural: "accounts", IDs: AccountIDs{},
		Permissions: []string{"read", "write"},
		Process:     a.process,
		AfterWrite:  a.afterWrite,
		AfterDelete: a.afterDelete,
		Writer:      a.writer,
	}
	return a
}

// WithUnits makes every write, the requests' and SetPassword's, one unit
// of work of units (see app.Engine.WithUnits).
func (a *Accounts) WithUnits(units ports.UnitOfWork) *Accounts {
	a.Engine.WithUnits(units)
	a.operator.WithUnits(units)
	return a
}

// SetPassword creates account id with password, or gives an existing
// account that password, as `kinto create-user` does, whoever may write
// accounts: the id and password are checked and the password hashed as on
// PUT /accounts/{id}, and the account alone may then write it. It reports
// whether the account was created. A bad id or password fails with
// domain.Invalid.
func (a *Accounts) SetPassword(ctx context.Context, id, password string) (created bool, err error) {
	req := &app.Request{Resource: a.Resource, Caller: app.Caller{Principals: []string{app.Everyone}},
		Vars: map[string]string{"id": id}}
	obj, err := a.operator.Replace(ctx, req, id, app.Body{Data: map[string]any{"password": password}})
	if err != nil {
		return false, fmt.Errorf("set the password of account %q: %w", id, err)
	}
	return obj.Created, nil
}

// writer is Kinto's current principal on accounts: an anonymous caller
// creating an account, or an administrator managing one, writes as the
// account itself, so the answer shows the account's permissions.
func (a *Accounts) writer(req *app.Request, id string) string {
	if id != "" && (!req.Caller.Authenticated() || a.isAdmin(req.Caller)) {
		return AccountPolicy + ":" + id
	}
	return ""
}

// accountIDPattern is Kinto's account id pattern: the usual one plus "+",
// "." and "@", so that e-mail addresses are valid ids.
var accountIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][+.@a-zA-Z0-9_-]*$`)

// AccountIDs validates account ids. Accounts never get a generated id: the
// id is the user name, so NewID returns "" and the Process hook refuses a
// POST without data.id.
type AccountIDs struct{}

// NewID returns "", the mark of a POST that named no account.
func (AccountIDs) NewID() string { return "" }

// Valid reports whether id matches ^[a-zA-Z0-9][+.@a-zA-Z0-9_-]*$.
func (AccountIDs) Valid(id string) bool { return accountIDPattern.MatchString(id) }

// isAdmin reports whether the caller manages every account.
func (a *Accounts) isAdmin(c app.Caller) bool {
	for _, p := range a.settings.Principals["account_write_principals"] {
		if slices.Contains(c.Principals, p) {
			return true
		}
	}
	return false
}

// process checks the account id against the caller and hashes the
// password.
func (a *Accounts) process(_ context.Context, w *app.Write) error {
	id := w.New.ID
	if id == "" {
		return invalid("data.id", "data.id in body: Required")
	}
	caller := w.Request.Caller
	if caller.Authenticated() && !a.isAdmin(caller) {
		// A user may only create or change the account they are logged in
		// as; Kinto compares with the user id the policy returned, without
		// its prefix.
		_, own, _ := strings.Cut(caller.UserID, ":")
		if id != own {
			return invalid("data.id", "Username and account ID do not match.")
		}
	}
	raw, present := w.New.Data["password"]
	password, isString := raw.(string)
	switch {
	case !present || raw == nil || (isString && password == ""):
		return invalid("data.password", "Required")
	case !isString:
		return invalid("data.password", fmt.Sprintf("%v is not a string", raw))
	}
	if w.Old != nil {
		// An unchanged hash (PATCH without password, or a client sending
		// back what it read) is kept, never hashed again.
		if stored, ok := w.Old.Data["password"].(string); ok &&
			subtle.ConstantTimeCompare([]byte(stored), []byte(password)) == 1 {
			return nil
		}
	}
	if len(password) > maxPasswordBytes {
		return invalid("data.password", fmt.Sprintf("Password longer than %d bytes.", maxPasswordBytes))
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.settings.BcryptCost)
	if err != nil {
		return fmt.Errorf("hash password of account %s: %w", id, err)
	}
	w.New.Data["password"] = string(hash)
	return nil
}

// afterWrite gives the account's write permission to the account alone,
// whoever created or changed it and whatever the body's permissions said,
// then drops the logins remembered for it.
func (a *Accounts) afterWrite(ctx context.Context, req *app.Request, _ *domain.Record, rec domain.Record) error {
	uri := a.Resource.URI(req.Vars, rec.ID)
	owner := AccountPolicy + ":" + rec.ID
	app.ForgetGrants(ctx)
	if err := a.perms.ReplaceACL(ctx, uri, ports.ACL{"write": {owner}}); err != nil {
		return fmt.Errorf("give write on %s to %s: %w", uri, owner, err)
	}
	return a.changed(ctx, rec.ID)
}

// afterDelete drops the logins remembered for a deleted account (the
// engine has already dropped its ACL).
func (a *Accounts) afterDelete(ctx context.Context, _ *app.Request, old domain.Record) error {
	return a.changed(ctx, old.ID)
}

func (a *Accounts) changed(ctx context.Context, id string) error {
	if a.settings.OnChange == nil {
		return nil
	}
	if err := a.settings.OnChange(ctx, id); err != nil {
		return fmt.Errorf("account %s changed: %w", id, err)
	}
	return nil
}

// accountLists is the ACE store as the account engine sees it: the same,
// except that anonymous callers may not list accounts. The generic guard
// answers an empty list to whoever may create objects, and anyone may
// create an account when account_create_principals is system.Everyone;
// Kinto answers 401 there. The guard only asks for accessible objects on
// list requests that no setting grants, so refusing here refuses exactly
// anonymous lists (GET, HEAD and DELETE on /accounts).
type accountLists struct {
	ports.Permission
}

// Accessible refuses callers without system.Authenticated, and otherwise
// asks the ACE store.
func (p accountLists) Accessible(ctx context.Context, principals []string, pattern string, perms []string) (map[string][]string, error) {
	if !slices.Contains(principals, app.Authenticated) {
		return nil, &domain.Error{Kind: domain.Unauthenticated, Op: "kinto.Accounts",
			Message: "Please authenticate yourself to use this endpoint.", Err: errAnonymousList}
	}
	return p.Permission.Accessible(ctx, principals, pattern, perms)
}

var errAnonymousList = errors.New("anonymous callers cannot list accounts")
