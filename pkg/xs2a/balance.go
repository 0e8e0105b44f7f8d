package xs2a

// Spendable is the balance that says what the PSU can spend, and how to
// name it in a table. A card's interimAvailable is no money to spend: the
// OpenAPI file's balanceType description (NextGenPSD2 1.3.12, the card
// notes) makes it "invoiced, but not yet paid entries" plus "booked, but
// not yet invoiced", what the card owes (negative), and gives "the money
// to spend with the value of a pre-approved credit limit" as a balance
// with creditLimitIncluded true. So for a card: expected with
// creditLimitIncluded, else interimAvailable with creditLimitIncluded,
// else interimAvailable, else the first. For a payment account
// interimAvailable ("the available balance", the file's example), else
// the first. ok is false when there are no balances.
func Spendable(bs []Balance, card bool) (b Balance, label string, ok bool) {
	find := func(typ string, limit bool) (Balance, bool) {
		for _, b := range bs {
			if b.BalanceType == typ && b.CreditLimitIncluded == limit {
				return b, true
			}
		}
		return Balance{}, false
	}
	if card {
		for _, typ := range []string{"expected", "interimAvailable"} {
			if b, ok := find(typ, true); ok {
				return b, typ + " with credit limit", true
			}
		}
	}
	if b, ok := find("interimAvailable", false); ok {
		return b, "interimAvailable", true
	}
	if b, ok := find("interimAvailable", true); ok { // a payment account's overdraft included
		return b, "interimAvailable with credit limit", true
	}
	if len(bs) == 0 {
		return Balance{}, "", false
	}
	label = bs[0].BalanceType
	if bs[0].CreditLimitIncluded {
		label += " with credit limit"
	}
	return bs[0], label, true
}
