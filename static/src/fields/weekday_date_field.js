import { registry } from "@web/core/registry";
import {
    RemainingDaysField,
    remainingDaysField,
} from "@web/views/fields/remaining_days/remaining_days_field";

const { DateTime } = luxon;

/**
 * A date read at a glance in a plan: the weekday and the date ("Mon, Dec 8", "12月8日周一")
 * instead of "Next month", coloured like remaining_days (red when past, bold today).
 */
export class WeekdayDateField extends RemainingDaysField {
    get diffString() {
        const { record, name } = this.props;
        const value = record.data[name];
        if (!value) {
            return "";
        }
        const format = { weekday: "short", month: "short", day: "numeric" };
        if (value.year !== DateTime.local().year) {
            format.year = "numeric";
        }
        return value.toLocaleString(format);
    }
}

export const weekdayDateField = {
    ...remainingDaysField,
    component: WeekdayDateField,
};

registry.category("fields").add("order_desk_weekday_date", weekdayDateField);
