/**
 * What this host offers to others, from its config: the metrics endpoint, the HTTP endpoint and the GPIO
 * lines that discovery answers, rich beacons and the fleet view announce. Below both the commands and the
 * daemon, so `disco-server` and `disco broadcast` describe the host without loading the daemon.
 */
export { announcedOffers, createDescriber, hostOffers, localAddresses, offerConfig, type DescriberOptions, type HostOffers, type OfferConfig } from "./offers.ts";
