import type { LaunchOptions } from 'playwright';

export declare const debianChromium: string;
export declare function chromiumExecutable(): string | undefined;
export declare const chromiumLaunchOptions: LaunchOptions;
