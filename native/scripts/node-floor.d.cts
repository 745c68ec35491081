// Types of node-floor.cjs (plain CommonJS, so that an old Node can run it).
export declare const NODE_RANGE: string;
export declare function meetsNodeFloor(version: string): boolean;
export declare function nodeFix(rerun?: string): string;
export declare function nodeFloorMessage(rerun?: string): string;
export declare function exitIfNodeTooOld(rerun?: string): void;
