package auth

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// URIScheme is the scheme of the URI SAN that carries an identity.
const URIScheme = "v2x-edge"

// Identity is a client's verified name, roles and, for producers, the
// source kinds it may send. The zero Identity may do nothing.
type Identity struct {
	Name  string
	Roles Roles
	Kinds Kinds
	// Intersections scopes the signal and map kinds: the intersections
	// whose SPAT and MAP the identity may send. Empty: every intersection.
	Intersections Intersections
}

// Has reports whether the identity holds role r.
func (id Identity) Has(r Role) bool { return id.Roles.Has(r) }

// MaySend reports whether the identity may send messages of kind k: it
// must be a producer allowed that kind.
func (id Identity) MaySend(k Kind) bool { return id.Roles.Has(RoleProducer) && id.Kinds.Has(k) }

// MayGovern reports whether the identity may send signal state or a MAP
// (kind k, KindSignal or KindMap) for intersection id.
func (id Identity) MayGovern(k Kind, intersection uint32) bool {
	return id.MaySend(k) && id.Intersections.Has(intersection)
}

// String renders the identity as its URI.
func (id Identity) String() string { return id.URI().String() }

// URI is the URI SAN that carries the identity in a certificate.
func (id Identity) URI() *url.URL {
	q := url.Values{}
	if id.Roles != 0 {
		q.Set("roles", id.Roles.String())
	}
	if id.Kinds != 0 {
		q.Set("kinds", id.Kinds.String())
	}
	if !id.Intersections.Any() {
		q.Set("intersections", id.Intersections.String())
	}
	// url.Values.Encode escapes the commas; they are legal in a query.
	return &url.URL{Scheme: URIScheme, Opaque: id.Name, RawQuery: strings.ReplaceAll(q.Encode(), "%2C", ",")}
}

// ValidName reports whether s can name an identity: 1 to 64 letters,
// digits, '.', '_' or '-'.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// ParseURI reads an identity from its URI.
func ParseURI(u *url.URL) (Identity, error) {
	if u.Scheme != URIScheme {
		return Identity{}, fmt.Errorf("auth: uri %q: scheme is not %s", u, URIScheme)
	}
	var id Identity
	id.Name = u.Opaque
	if !ValidName(id.Name) {
		return Identity{}, fmt.Errorf("auth: uri %q: identity name %q: want 1 to 64 letters, digits, '.', '_' or '-'", u, id.Name)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Identity{}, fmt.Errorf("auth: uri %q: %w", u, err)
	}
	for k := range q {
		if k != "roles" && k != "kinds" && k != "intersections" {
			return Identity{}, fmt.Errorf("auth: uri %q: unknown parameter %q (want roles, kinds and intersections)", u, k)
		}
	}
	if id.Roles, err = ParseRoles(q.Get("roles")); err != nil {
		return Identity{}, fmt.Errorf("auth: uri %q: %w", u, err)
	}
	if id.Kinds, err = ParseKinds(q.Get("kinds")); err != nil {
		return Identity{}, fmt.Errorf("auth: uri %q: %w", u, err)
	}
	if q.Has("intersections") {
		if id.Intersections, err = ParseIntersections(q.Get("intersections")); err != nil {
			return Identity{}, fmt.Errorf("auth: uri %q: %w", u, err)
		}
		if id.Intersections.Any() {
			return Identity{}, fmt.Errorf("auth: uri %q: intersections is empty (leave it out for every intersection)", u)
		}
		if !id.Kinds.Has(KindSignal) && !id.Kinds.Has(KindMap) {
			return Identity{}, fmt.Errorf("auth: uri %q: intersections scopes the signal and map kinds, and the identity has neither", u)
		}
	}
	return id, nil
}

// ErrNoIdentity is returned for a certificate that carries no identity URI.
var ErrNoIdentity = errors.New("auth: certificate carries no v2x-edge identity URI")

// FromCert reads the identity from a (verified) client certificate: its one
// URI SAN of scheme v2x-edge. More than one such URI is an error.
func FromCert(c *x509.Certificate) (Identity, error) {
	var found *url.URL
	for _, u := range c.URIs {
		if u.Scheme != URIScheme {
			continue
		}
		if found != nil {
			return Identity{}, fmt.Errorf("auth: certificate %q carries more than one identity URI", c.Subject.CommonName)
		}
		found = u
	}
	if found == nil {
		return Identity{}, ErrNoIdentity
	}
	return ParseURI(found)
}

// ParseURIString reads an identity from its URI as text.
func ParseURIString(s string) (Identity, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Identity{}, fmt.Errorf("auth: %w", err)
	}
	return ParseURI(u)
}
