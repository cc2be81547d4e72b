/** the Chromium to test with; `install`: apt-get it when missing (root on Debian/Ubuntu only) */
export declare function findChromium(options?: { install?: boolean }): Promise<string>;
