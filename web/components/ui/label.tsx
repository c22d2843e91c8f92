import * as React from "react";
import { cn } from "@/lib/utils";

// shadcn/ui's Label (a plain label element: no Radix needed for it here).
export const Label = React.forwardRef<HTMLLabelElement, React.LabelHTMLAttributes<HTMLLabelElement>>(({ className, ...props }, ref) => (
  <label ref={ref} className={cn("text-sm font-medium leading-none", className)} {...props} />
));
Label.displayName = "Label";
