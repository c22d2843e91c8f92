import { clsx, type ClassValue } from "clsx";
import { twMerge } from "tailwind-merge";

// cn merges class names, later Tailwind utilities winning (shadcn/ui's helper).
export function cn(...inputs: ClassValue[]): string {
  return twMerge(clsx(inputs));
}
