package edge

import (
	"net"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/quota"
)

// connIdentity is the identity of a connection: the one in its verified
// client certificate, or, without one, an anonymous identity named
// "anon:" and the remote IP address (no roles).
func connIdentity(c *quic.Conn) auth.Identity {
	cs := c.ConnectionState().TLS
	if len(cs.VerifiedChains) > 0 && len(cs.PeerCertificates) > 0 {
		if id, err := auth.FromCert(cs.PeerCertificates[0]); err == nil {
			return id
		}
	}
	host := c.RemoteAddr().String()
	if ua, ok := c.RemoteAddr().(*net.UDPAddr); ok {
		host = ua.AddrPort().Addr().Unmap().String()
	}
	return auth.Identity{Name: "anon:" + host}
}

// quotaRoles converts an identity's roles to the quota package's flags.
func quotaRoles(id auth.Identity) uint8 {
	var r uint8
	if id.Has(auth.RoleProducer) {
		r |= quota.RoleProducer
	}
	if id.Has(auth.RoleSubscriber) {
		r |= quota.RoleSubscriber
	}
	if id.Has(auth.RoleOperator) {
		r |= quota.RoleOperator
	}
	return r
}
