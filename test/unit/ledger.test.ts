import { describeLedger } from "../support/ledger-contract.js";

describeLedger({ name: "SQLite", database: async () => undefined });
