/** True for the Node.js versions esalert runs on (package.json's engines). */
export declare function isSupportedNode(version: string): boolean;
