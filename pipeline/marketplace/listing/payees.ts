import { InputError } from "../../errors.js";
import type { FeeShare } from "../opensea/listings.js";
import type { Payee } from "../seaport/order.js";

/**
 * Who a sale at `price` pays besides the seller: the ERC-2981 royalty and each fee, one entry per recipient.
 * A fee to the royalty receiver (a marketplace's "creator earnings" entry) is not paid on top of the royalty:
 * that recipient gets the larger of the two.
 */
export function salePayees(price: bigint, royalty: Payee | undefined, fees: FeeShare[]): Payee[] {
  const owed = new Map<string, Payee>();
  const add = ({ recipient, amount }: Payee) => {
    const key = recipient.toLowerCase();
    const before = owed.get(key);
    if (before === undefined || before.amount < amount) owed.set(key, { recipient, amount });
  };
  if (royalty !== undefined) add(royalty);
  for (const fee of fees) add({ recipient: fee.recipient, amount: (price * BigInt(fee.bps)) / 10_000n });
  const payees = [...owed.values()].filter((p) => p.amount > 0n);
  const total = payees.reduce((sum, p) => sum + p.amount, 0n);
  if (total >= price) {
    throw new InputError(
      "PRICE",
      `royalty and fees (${total} wei) leave nothing of the price (${price} wei)`,
      {
        field: "--price",
        hint: "list at a higher price",
      },
    );
  }
  return payees;
}
