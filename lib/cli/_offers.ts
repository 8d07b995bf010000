/** What this host offers to others, from its config: lives in lib/daemon (its builders use it); re-exported for the commands. */
export { createDescriber, hostOffers, localAddresses, type DescriberOptions, type HostOffers } from "../daemon/index.ts";
