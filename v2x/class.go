package v2x

import "fmt"

// Class is the kind of a traffic participant.
type Class uint8

// Participant classes. The numeric values are part of the native wire
// protocol (docs/protocol.md) and must not change.
const (
	ClassUnknown Class = iota
	ClassCar
	ClassTruck
	ClassBus
	ClassMotorcycle
	ClassBicycle
	ClassPedestrian
	numClasses
)

var classNames = [numClasses]string{"unknown", "car", "truck", "bus", "motorcycle", "bicycle", "pedestrian"}

// NumClasses is the number of defined classes; valid classes are below it.
const NumClasses = int(numClasses)

// Valid reports whether c is a defined class.
func (c Class) Valid() bool { return c < numClasses }

// String returns the lowercase name of the class.
func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// ParseClass returns the class with the given name.
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if n == s {
			return Class(i), nil
		}
	}
	return 0, fmt.Errorf("unknown class %q", s)
}

// Vehicle reports whether the class is a motor vehicle.
func (c Class) Vehicle() bool {
	return c == ClassCar || c == ClassTruck || c == ClassBus || c == ClassMotorcycle
}

// ClassMask is a set of classes, bit i standing for Class(i).
type ClassMask uint32

// AllClasses is the mask that contains every class.
const AllClasses ClassMask = 1<<numClasses - 1

// Has reports whether c is in the mask.
func (m ClassMask) Has(c Class) bool { return m&(1<<c) != 0 }

// MaskOf returns the mask containing the given classes.
func MaskOf(cs ...Class) ClassMask {
	var m ClassMask
	for _, c := range cs {
		m |= 1 << c
	}
	return m
}
