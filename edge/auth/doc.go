// Package auth is who may speak to a v2x-edge node: identities carried in
// client certificates, their roles (producer, subscriber, operator) and the
// source kinds a producer may send (vehicle, rsu, camera, signal, map).
//
// An identity travels in the client certificate as one URI subject
// alternative name (docs/protocol.md §1.1):
//
//	v2x-edge:NAME?roles=producer,subscriber&kinds=vehicle,camera
//
// NAME is the identity (letters, digits, '.', '_' and '-'); roles and kinds
// are comma-separated names. A certificate without such a URI has no roles.
package auth
