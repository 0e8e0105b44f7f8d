package qcert

import "testing"

// Every defect but missing-intermediate (which leaves the intermediate out
// of qwac.pem, not out of a certificate) breaks a leaf through its own row:
// a row without apply would make a good set under a defect's name.
func TestEveryDefectRowBreaksALeaf(t *testing.T) {
	for _, d := range Defects {
		if (d.apply == nil) != (d.Name == DefectMissingIntermediate) {
			t.Errorf("defect %s: apply set = %v", d.Name, d.apply != nil)
		}
	}
}
