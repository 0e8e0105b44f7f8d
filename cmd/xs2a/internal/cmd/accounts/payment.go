package accounts

import (
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// What only payment accounts (account_type: payment, /v1/accounts...)
// print: the file's accountDetails, accountReport and transactionDetails
// name the parties and the account differently from card accounts.

// accountID is how a payment account is named in a table: its IBAN in
// groups of four (as printed on paper), else its other identifier.
func accountID(a xs2a.Account) string {
	if a.IBAN == "" {
		return l(firstOf(a.BBAN, a.MSISDN))
	}
	var b strings.Builder
	for i, r := range a.IBAN {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return l(b.String())
}

// counterparty is the other side: the creditor of a debit, the debtor of
// a credit (amounts are signed), else whichever the bank gave.
func counterparty(t xs2a.Transaction) string {
	if strings.HasPrefix(t.TransactionAmount.Amount, "-") {
		return firstOf(t.CreditorName, t.DebtorName)
	}
	return firstOf(t.DebtorName, t.CreditorName)
}

func reference(t xs2a.Transaction) string {
	if t.RemittanceInformationUnstructured != "" {
		return t.RemittanceInformationUnstructured
	}
	return strings.Join(t.RemittanceInformationUnstructuredArray, " ")
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
