package auth_test

import (
	"context"
	"encoding/base64"
	"regexp"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
)

func basicHeader(creds string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(creds))
}

func TestBasicVectors(t *testing.T) {
	// The reference's vectors (PROTOCOL-kinto §4).
	tests := []struct {
		secret, creds, want string
	}{
		{"", "mat:secret", "8a931a10fc88ab2f6d1cc02a07d3a81b5d4768f6f13e85c5d8d4180419acb1b4"},
		{"s3cr3t", "bob:p4ssw0rd", "65ef01963709f7d55547bb1953ebeda10b9513a3ec99dc0babe4e1f03c9f446a"},
	}
	for _, tt := range tests {
		got, ok, err := auth.NewBasic(tt.secret).Authenticate(context.Background(), basicHeader(tt.creds))
		if err != nil || !ok {
			t.Fatalf("Authenticate(%q): ok %v, err %v; want accepted", tt.creds, ok, err)
		}
		if got != tt.want {
			t.Errorf("Authenticate(%q) with key %q = %s, want %s", tt.creds, tt.secret, got, tt.want)
		}
	}
}

func TestBasicParsing(t *testing.T) {
	b := auth.NewBasic("k")
	mat, _, _ := b.Authenticate(context.Background(), basicHeader("mat:secret"))
	tests := []struct {
		name   string
		header string
		ok     bool
		sameAs string // expected id, when ok
	}{
		{"lowercase scheme", "basic " + base64.StdEncoding.EncodeToString([]byte("mat:secret")), true, mat},
		{"padding spaces", "Basic   " + base64.StdEncoding.EncodeToString([]byte("mat:secret")) + "  ", true, mat},
		{"empty password", basicHeader("mat:"), true, ""},
		{"colon in password", basicHeader("mat:a:b"), true, ""},
		{"empty user", basicHeader(":secret"), false, ""},
		{"no colon", basicHeader("matsecret"), false, ""},
		{"empty", "", false, ""},
		{"scheme only", "Basic", false, ""},
		{"other scheme", "Bearer " + base64.StdEncoding.EncodeToString([]byte("mat:secret")), false, ""},
		{"bad base64", "Basic !!!!", false, ""},
		{"missing padding", "Basic " + base64.RawStdEncoding.EncodeToString([]byte("mat:s")), false, ""},
		{"latin-1 bytes", "Basic " + base64.StdEncoding.EncodeToString([]byte("j\xe9r\xf4me:pw")), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok, err := b.Authenticate(context.Background(), tt.header)
			if err != nil {
				t.Fatalf("Authenticate(%q): err %v, want nil", tt.header, err)
			}
			if ok != tt.ok {
				t.Fatalf("Authenticate(%q): ok %v, want %v", tt.header, ok, tt.ok)
			}
			if !ok && id != "" {
				t.Errorf("Authenticate(%q) refused but returned id %q", tt.header, id)
			}
			if tt.sameAs != "" && id != tt.sameAs {
				t.Errorf("Authenticate(%q) = %s, want %s", tt.header, id, tt.sameAs)
			}
		})
	}
}

func TestBasicLatin1MatchesUTF8(t *testing.T) {
	// The reference decodes non-UTF-8 credentials as Latin-1 and hashes
	// their UTF-8 form, so both encodings name the same user.
	b := auth.NewBasic("k")
	latin, _, _ := b.Authenticate(context.Background(), "Basic "+base64.StdEncoding.EncodeToString([]byte("j\xe9r\xf4me:pw")))
	utf, _, _ := b.Authenticate(context.Background(), basicHeader("jérôme:pw"))
	if latin != utf {
		t.Errorf("latin-1 id %s != utf-8 id %s", latin, utf)
	}
}

func TestBasicDistinguishesUsers(t *testing.T) {
	b := auth.NewBasic("k")
	one, _, _ := b.Authenticate(context.Background(), basicHeader("bob:a"))
	two, _, _ := b.Authenticate(context.Background(), basicHeader("bob:b"))
	other, _, _ := auth.NewBasic("other").Authenticate(context.Background(), basicHeader("bob:a"))
	if one == two {
		t.Errorf("two passwords gave the same id %s", one)
	}
	if one == other {
		t.Errorf("two secrets gave the same id %s", one)
	}
}

func TestBasicPolicy(t *testing.T) {
	b := auth.NewBasic("")
	if b.Name() != "basicauth" {
		t.Errorf("Name() = %q, want basicauth", b.Name())
	}
	if c := b.Challenge(); c != `Basic realm="Realm"` {
		t.Errorf("Challenge() = %q", c)
	}
	if c := b.Capability(); c["description"] == nil || c["url"] == nil {
		t.Errorf("Capability() = %v, want description and url", c)
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{64}$`)

func FuzzBasic(f *testing.F) {
	for _, seed := range []string{
		basicHeader("mat:secret"), basicHeader(":x"), basicHeader("a"), "Basic", "Basic ", "basic ====",
		"Bearer abc", "", "Basic " + base64.StdEncoding.EncodeToString([]byte{0xff, ':', 0xfe}),
	} {
		f.Add(seed)
	}
	b := auth.NewBasic("fuzz")
	f.Fuzz(func(t *testing.T, header string) {
		id, ok, err := b.Authenticate(context.Background(), header)
		if err != nil {
			t.Fatalf("Authenticate(%q): err %v, want nil", header, err)
		}
		if ok && !hexID.MatchString(id) {
			t.Fatalf("Authenticate(%q) = %q, want 64 hex digits", header, id)
		}
		if !ok && id != "" {
			t.Fatalf("Authenticate(%q) refused with id %q", header, id)
		}
	})
}
