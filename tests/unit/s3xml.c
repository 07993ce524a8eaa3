/* unit-s3xml.c: the ListObjectsV2 and Error parsers on canned bodies: the
 * S3 API Reference's example page, truncated pages with continuation tokens,
 * entities, CDATA, url-encoded keys, an empty bucket, and malformed or
 * unexpected bodies (each refused with a message saying what is wrong). */
#include "config.h"
#include "input/remote/s3xml.h"
#include "tap.h"

/* Shaped like the ListObjectsV2 example of the S3 API Reference. */
static const char page_full[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>bucket</Name>\n  <Prefix/>\n  <KeyCount>2</KeyCount>\n  <MaxKeys>1000</MaxKeys>\n"
    "  <IsTruncated>false</IsTruncated>\n"
    "  <Contents>\n    <Key>my-image.jpg</Key>\n    <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
    "    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>\n    <Size>434234</Size>\n"
    "    <StorageClass>STANDARD</StorageClass>\n  </Contents>\n"
    "  <Contents>\n    <Key>my-third-image.jpg</Key>\n    <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
    "    <ETag>\"1b2cf535f27731c974343645a3985328\"</ETag>\n    <Size>64994</Size>\n"
    "    <StorageClass>STANDARD_IA</StorageClass>\n    <Owner><ID>x</ID><DisplayName>y</DisplayName></Owner>\n"
    "  </Contents>\n"
    "</ListBucketResult>\n";

static const char page_truncated[] =
    "<ListBucketResult><IsTruncated>true</IsTruncated>"
    "<Contents><Key>logs/2025-06-01.jsonl.gz</Key><Size>0</Size><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag></Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "<ContinuationToken>previous</ContinuationToken>"
    "</ListBucketResult>";

static void check_pages(void)
{
    tf_s3_listing l;
    tf_err err = { "" };
    ok(tf_s3_parse_listing(page_full, sizeof page_full - 1, &l, &err) == 0, "the API Reference page parses: %s",
       err.msg);
    is_int(l.n, 2, "two objects");
    ok(!l.truncated && l.next_token == NULL, "not truncated, no token");
    if (l.n == 2) {
        is_str(l.objects[0].key, "my-image.jpg", "first key");
        is_int(l.objects[0].size, 434234, "first size");
        is_str(l.objects[0].etag, "fba9dede5f27731c9771645a39863328", "ETag from &quot; entities, unquoted");
        is_int(l.objects[0].mtime, 1255369830, "LastModified (date -u -d 2009-10-12T17:50:30Z +%%s)");
        is_str(l.objects[1].key, "my-third-image.jpg", "second key after an Owner sub-element");
        is_str(l.objects[1].etag, "1b2cf535f27731c974343645a3985328", "ETag with literal quotes, unquoted");
    }
    tf_s3_listing_free(&l);

    ok(tf_s3_parse_listing(page_truncated, sizeof page_truncated - 1, &l, &err) == 0, "a truncated page parses");
    ok(l.truncated, "IsTruncated true");
    is_str(l.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", "NextContinuationToken, not ContinuationToken");
    ok(l.n == 1 && l.objects[0].size == 0 && l.objects[0].mtime == 0, "an empty object without LastModified");
    tf_s3_listing_free(&l);

    static const char empty[] = "<?xml version=\"1.0\"?><ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>"
                                "<IsTruncated>false</IsTruncated></ListBucketResult>";
    ok(tf_s3_parse_listing(empty, sizeof empty - 1, &l, &err) == 0 && l.n == 0, "an empty bucket: no objects");
    tf_s3_listing_free(&l);

    static const char ents[] = "<!-- a comment --><ListBucketResult><Contents>"
                               "<Key>a&amp;b &lt;c&gt; &apos;&#233;&#x1F600;<![CDATA[<raw&>]]></Key>"
                               "<Size>12</Size></Contents></ListBucketResult>";
    ok(tf_s3_parse_listing(ents, sizeof ents - 1, &l, &err) == 0 && l.n == 1, "entities and CDATA parse");
    if (l.n == 1)
        is_str(l.objects[0].key, "a&b <c> '\xc3\xa9\xf0\x9f\x98\x80<raw&>", "entities, references and CDATA decoded");
    tf_s3_listing_free(&l);

    static const char urlenc[] = "<ListBucketResult><Contents><Key>logs%2F2025+06%2Fa%0A.jsonl</Key><Size>1</Size>"
                                 "</Contents><EncodingType>url</EncodingType></ListBucketResult>";
    ok(tf_s3_parse_listing(urlenc, sizeof urlenc - 1, &l, &err) == 0 && l.n == 1, "a url-encoded listing parses");
    if (l.n == 1)
        is_str(l.objects[0].key, "logs/2025 06/a\n.jsonl", "EncodingType=url keys are decoded (after the Contents)");
    tf_s3_listing_free(&l);
}

static void check_bad(void)
{
    static const struct {
        const char *name, *body, *want;
    } bad[] = {
        { "mismatched tags", "<ListBucketResult><Contents><Key>a</Size></Contents></ListBucketResult>",
          "a closing </Size> where </Key> was open" },
        { "a body cut off", "<ListBucketResult><Contents><Key>a</Key><Size>1</Si",
          "a tag that does not end" },
        { "a body cut off between tags", "<ListBucketResult><Contents><Key>a</Key>",
          "the XML ends inside <Contents> (truncated body)" },
        { "an unknown entity", "<ListBucketResult><Contents><Key>&nbsp;</Key></Contents></ListBucketResult>",
          "unknown entity" },
        { "a Size that is not a number",
          "<ListBucketResult><Contents><Key>k</Key><Size>12x</Size></Contents></ListBucketResult>",
          "gives k a Size that is not a number" },
        { "a Contents without Key", "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
          "a Contents entry without a Key" },
        { "a Contents without Size", "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
          "gives k no Size" },
        { "truncated without a token",
          "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
          "truncated but has no NextContinuationToken" },
        { "text after the root", "<ListBucketResult></ListBucketResult>junk", "text after the root element" },
        { "an empty body", "", "no XML element" },
        { "an HTML page", "<html><body>Bad Gateway</body></html>", "the body is a <html>, not a ListBucketResult" },
        { "an Error document",
          "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not "
          "exist</Message><BucketName>nope</BucketName></Error>",
          "the server answered with an error: NoSuchBucket: The specified bucket does not exist" },
        { "a bad character reference", "<ListBucketResult><Name>&#xD800;</Name></ListBucketResult>",
          "out of range" },
    };
    for (size_t i = 0; i < TF_ARRAY_LEN(bad); i++) {
        tf_s3_listing l;
        tf_err err = { "" };
        int rc = tf_s3_parse_listing(bad[i].body, strlen(bad[i].body), &l, &err);
        ok(rc == -1 && strstr(err.msg, bad[i].want), "%s is refused: %s", bad[i].name, err.msg);
        tf_s3_listing_free(&l);
    }
    tf_s3_listing l;
    tf_err err = { "" };
    static const char where[] = "<ListBucketResult>\n<Key>a</Size>";
    tf_s3_parse_listing(where, sizeof where - 1, &l, &err);
    ok(strstr(err.msg, "at byte 25:") != NULL, "the byte offset of the bad tag is named: %s", err.msg);
    tf_s3_listing_free(&l);
}

static void check_error_doc(void)
{
    tf_s3_error e;
    static const char slow[] = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
                               "<RequestId>1</RequestId></Error>";
    ok(tf_s3_parse_error(slow, sizeof slow - 1, &e) == 0, "an Error document is recognised");
    is_str(e.code, "SlowDown", "its Code");
    is_str(e.message, "Please reduce your request rate.", "its Message");
    tf_s3_error_free(&e);
    ok(tf_s3_parse_error(page_full, sizeof page_full - 1, &e) == -1, "a listing is not an Error");
    tf_s3_error_free(&e);
    ok(tf_s3_parse_error("gateway timeout", 15, &e) == -1 && !e.code, "plain text is not an Error");
    tf_s3_error_free(&e);
}

int main(void)
{
    check_pages();
    check_bad();
    check_error_doc();
    return done_testing();
}
