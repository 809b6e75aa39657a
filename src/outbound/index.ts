// ai-stack/outbound: HTTP calls to user-supplied URLs (webhooks, sync sources), refused when they aim at internal addresses.
export { OutboundClient, OutboundRefusedError, isBlockedAddress, type OutboundOptions, type OutboundResponse, type ResolvedAddress } from './guard.ts';
