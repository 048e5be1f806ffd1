export declare function bundleForNode(input: string, output: string): Promise<void>;
