#pragma once

#include <string>
#include <string_view>

// Private to config/: the rules for names that become physical names (buckets, directories).

namespace lakeinfra::config {

/// What names of lakes, zones and containers (and rendered physical names) may be.
inline constexpr char kNameRule[] =
    "names are 3–63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
/// What lake.instance, lake.region and lake.org may be.
inline constexpr char kLabelRule[] =
    "instance, region and org are 1–63 characters of a-z, 0-9 and '-', starting and ending with a "
    "letter or digit";

/// The first rule `name` breaks, as a phrase to follow "is invalid: " ("uppercase letters are
/// not allowed", "longer than 63 characters"), or "" when it is a valid name: lowercase,
/// 3–63 characters of [a-z0-9-], no leading or trailing '-', no ".." and no '/'.
std::string name_problem(std::string_view name);

/// The same for instance, region and org, which may be 1–63 characters long.
std::string label_problem(std::string_view label);

/// A fixed-up form of an invalid name (lowercased, other characters turned into '-', trimmed
/// and shortened) when that is a valid name different from `name`; else "".
std::string suggest_name(std::string_view name);

/// The same for instance, region and org.
std::string suggest_label(std::string_view label);

/// The first S3 bucket-naming rule `name` breaks, as a phrase to follow "is invalid: " ("it
/// starts with the reserved prefix \"xn--\"", "it is formatted as an IP address"), or "" when S3
/// accepts it: 3–63 characters of [a-z0-9.-], starting and ending with a letter or digit, no "..",
/// not an IPv4 address, not starting with xn--, sthree- or amzn-s3-demo-, not ending
/// with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3. Independent of
/// name_problem(): lakeinfra's own rules are stricter about '.', S3's about prefixes and suffixes.
std::string bucket_name_problem(std::string_view name);

}  // namespace lakeinfra::config
